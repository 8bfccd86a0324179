import './base.css';
import './data.css';
import './bulk.css';
import './basket.css';
import './publish.css';
